"""The clinic's processes: the scheduler API, the dashboard, the CLI and the mail worker."""
