"""Recipient notifications sent by head office: config, templates, gateways, reminder
ladder, the send queue and its loop (`station head-office notify run`)."""
