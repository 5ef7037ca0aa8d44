"""The public side: catalogue, the testimony page and Hear the Defectors, all read through the protected view."""
