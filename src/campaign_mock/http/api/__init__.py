"""The Campaign API itself: campaigns, login and logout."""
