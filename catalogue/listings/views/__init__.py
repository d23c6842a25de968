"""Pages of the listings domain: the public catalogue (``public``) and the staff's listing and
report pages (``staff``)."""
