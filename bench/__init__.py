"""`make bench`: Earshot at contact-centre scale. See bench/README.md."""
