"""Public copies of recordings: what non-staff audiences hear (no app or database in here).

`redaction` makes a copy with restricted passages silenced (and the voice masked when asked),
`voice` is the pitch shifter, `analysis` decodes a file to measure its duration, the loudness of
given ranges and a compact waveform. The service that decides what a copy must contain and keeps
its state lives in `archive.media.copies`; the queue that runs it in `archive.jobs`.
"""
