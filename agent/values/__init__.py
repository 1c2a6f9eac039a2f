"""Value detection on the 20 Touché23 value categories (see :mod:`agent.values.classifier`)."""

from agent.values.classifier import VALUE_IDS, ValueClassifier, ValueEvidence, get_classifier

__all__ = ["VALUE_IDS", "ValueClassifier", "ValueEvidence", "get_classifier"]
