"""Service layer of the monitor: pure business logic, no HTTP and no database."""
