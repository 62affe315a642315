"""The main job: the system run locally, playing the 2009 case studies through it."""

from services.demo.walking import case_topics, online_enquiry, run_demo, submit_enquiry

__all__ = ["case_topics", "online_enquiry", "run_demo", "submit_enquiry"]
