"""The libmpv adapter. Knows libmpv, nothing of the network or of Textual."""
