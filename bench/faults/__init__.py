"""`csods faults`: whole cases offered while one fault at a time strikes, then checked."""
