"""The few building blocks every core package shares. The lowest layer: it imports nothing of Deskside's."""
