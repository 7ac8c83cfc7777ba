"""Speed figures for peerpulse (``make bench``)."""
