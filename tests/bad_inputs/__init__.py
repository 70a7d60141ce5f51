"""Cases of the bad-input suite (tests/test_bad_inputs.py): one ``cases_*.py`` module per area."""
