"""OAuth 2.1 authorization server for referenced apps: a patient's grant is their consent."""
