"""Local text analysis: cue lexicons, polarity, signals, question checks."""
