"""The flight recorder: a live source's stream to a crash-safe, redacted stsviz v1 file.

`recorder.py` (`Recorder`, the live source's tap, and its writer thread),
`redact.py` (what of an object is written), `files.py` (creating, reopening,
rotating and compressing the files). See docs/recording-format.md.
"""
