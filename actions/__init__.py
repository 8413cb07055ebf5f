"""Custom actions of the Acme Appliances assistant (served by rasa-sdk).

rasa-sdk registers every non-abstract ``Action`` subclass found in this
package. Modules here must stay cheap to import: heavy resources (database
engines, language models) are created lazily, on first use.
"""

import warnings

# The action server runs rasa-sdk 3.x on Python 3.11 while the Rasa server is
# 3.6 on Python 3.10 (the last open-source Rasa). The HTTP protocol between the
# two is unchanged, so the SDK's per-request "versions might not be compatible"
# warning is known noise: silence exactly that warning and nothing else.
warnings.filterwarnings(
    "ignore",
    message=r"Your versions of rasa and rasa_sdk might not be compatible",
    category=UserWarning,
)
