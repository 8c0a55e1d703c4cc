"""Operations: running the installation rather than using it: configuration, the migrations
runner, the command line, backup and restore, demo data. No page imports these except for
configuration."""
