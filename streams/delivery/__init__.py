"""Webhook delivery at run time: the agent, its durable retry state, the HTTP sender."""
