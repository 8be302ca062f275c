"""A person's data, theirs: download it, erase it (UK GDPR Articles 15, 17 and 20).

The app sits above the others (it reads and erases what accounts, webinars and
notifications keep about a person), so nothing else imports it.
"""
