"""Evidence families: detect a file's type and format, parse it safely, validate it and
normalize it into the plain facts that policies read (``input.evidence.<family>``)."""
