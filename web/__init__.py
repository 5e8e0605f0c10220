"""Server-rendered pages: the staff front (工作台) under /staff. Routes call the service layer
(services/) exactly as the JSON API does; templates only lay out what the services return."""
