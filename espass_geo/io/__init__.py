"""Reading what users give (tables, TOML files) and writing output folders safely."""
