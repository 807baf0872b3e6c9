"""HTML/JSON reports for people and automation: the security officers' report and leak scan."""
