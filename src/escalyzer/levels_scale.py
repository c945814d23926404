"""The 0-3 scales, the same numbers and labels everywhere (LABELING.md)."""
ANGER_LABELS = ("平静", "不満", "立腹", "激怒")
URGENCY_LABELS = ("なし", "早めに", "至急", "緊急")
ANGER_LABELS_EN = ("calm", "dissatisfied", "angry", "furious")
URGENCY_LABELS_EN = ("none", "soon", "urgent", "emergency")
LABELS = {"anger": ANGER_LABELS, "urgency": URGENCY_LABELS}
