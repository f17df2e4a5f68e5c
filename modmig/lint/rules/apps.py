"""Across apps (XA): written once the ownership map (modmig.schema.ownership) lands."""
