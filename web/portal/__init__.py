"""The applicant portal (掌上办): its own routes under /portal/, its own session kind, CSRF cookie,
templates and CSS — nothing of the staff front is reachable with its session, and the reverse."""
