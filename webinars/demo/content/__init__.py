"""The demo data itself, declarative and split by area like the seeding code beside it.

``catalogue`` holds the series, topics, speakers and seminars; ``registrations`` the custom
questions and registrants; ``recordings`` the two past seminars' recordings and the
registrants their follow-ups go to; ``engagement`` the pool of people and organisations
the past seminars' crowds are drawn from. Every person and company is invented.
"""
