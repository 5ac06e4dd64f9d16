"""seqdrop.experiments -- the measurements behind the course chapters, one module per idea.

Each chapter of the course (``notebooks/``) holds narrative, calls and plots; the code it
calls lives here, unit-tested, so a chapter's numbers can be reproduced and checked outside
Jupyter. Modules are imported by name (``from seqdrop.experiments import findings``); nothing is
imported eagerly here, so ``import seqdrop`` stays light.
"""
