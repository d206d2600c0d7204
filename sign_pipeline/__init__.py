"""Korean Sign Language generation for transit: text -> glosses -> keypoints -> video.

Nothing in this package downloads anything at run time.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
