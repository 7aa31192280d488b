"""beanbill's Beancount plugins, one module each (see docs/architecture.md)."""
