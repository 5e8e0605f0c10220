"""Stand-ins for external systems that cannot exist in development and tests.

Each simulator is its own small HTTP service with the interface the real system has, so the code
that talks to it cannot tell the difference. Nothing in the product imports this package.
"""
