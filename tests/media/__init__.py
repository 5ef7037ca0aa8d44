"""Media: stored files, delivery, public copies and their waveform."""
