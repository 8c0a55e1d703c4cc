"""Pure scoring logic: rubric model and validation, evaluation scoring. No UI or database."""
