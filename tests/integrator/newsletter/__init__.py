"""A sample integrator's code: a Campaign API client and a webhook receiver, tested three ways."""
