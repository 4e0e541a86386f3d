"""ehrpriv: helpers for a course on privacy-preserving machine learning on EHR.

Each submodule serves one concern and names the lesson that introduces it:

- :mod:`ehrpriv.synthea` generates and reads the Synthea-layout tables (lesson 01);
- :mod:`ehrpriv.cohort` builds one row per inpatient admission (lesson 01);
- :mod:`ehrpriv.models`, :mod:`ehrpriv.metrics` and :mod:`ehrpriv.plots` train and
  evaluate the mortality model (lesson 01);
- :mod:`ehrpriv.grading` checks exercise answers and grades submissions, and
  :mod:`ehrpriv.colab` and :mod:`ehrpriv.environment` serve lesson 00;
- :mod:`ehrpriv.deid`, :mod:`ehrpriv.anonymity`, :mod:`ehrpriv.attacks` and
  :mod:`ehrpriv.attack_plots` de-identify releases and attack them (lesson 02);
- :mod:`ehrpriv.scorecard` collects every lesson's measurements (lessons 02-08);
- :mod:`ehrpriv.dp` holds differential-privacy mechanisms and accounting for
  aggregate queries (lesson 03);
- :mod:`ehrpriv.dpsgd` trains and audits models with DP-SGD through Opacus
  (lesson 04).
"""

__version__ = "0.1.0"
