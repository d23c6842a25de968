"""Pages of the publishers domain: the publisher space (``publisher``) and the secretariat's
verification of organisations (``staff``)."""
