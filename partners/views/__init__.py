"""Browser pages of the registry, for vendor staff (administrators and channel
managers); partner users are refused here and have their own portal.

Views are thin: a form reads the input, a service writes, a selector reads, and a
service's ValidationError comes back as inline form errors.
"""
