"""What a notification says: calm, factual, abusive text masked by default.

Every message answers the same questions: what kind of mention, where (the
site), when (in the recipient's time zone), about whom, how severe, and a link
to view it. The abusive words themselves are replaced by a content warning
("text hidden: threat, 212 characters") unless the recipient opted in with
``full_text: true``; re-promotion titles and excerpts are hidden the same way,
because they advertise her old content.

Templates are ``string.Template`` strings (plain text and HTML); every value
placed in the HTML is escaped. Rendering is pure: the same alerts, recipient
and time give the same message.

Modules: ``wording`` (the words and times every message shares),
``masking`` (the content warning, and the structured form that honours it),
``immediate`` (one alert that cannot wait), ``digest`` (everything that
waited, grouped and counted), ``operator`` (dead-letter and overdue notices,
never alert text).
"""
