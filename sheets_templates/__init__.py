"""Data, not code: Ambito presets, tab layouts, the Apps Script bridge (a package only so it installs)."""
