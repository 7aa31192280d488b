"""beanbill: billing and revenue recognition as code, on Beancount."""

__version__ = "0.1.0"
