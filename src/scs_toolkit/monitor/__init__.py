"""The compliance monitor: signed reports in, certification status and public transparency out.

So far: the status engine (services/evaluation.py). The web service follows (issue 5).
"""
