"""cloudcore driver for AWS (extra ``[aws]``).

``cloudcore.connect("aws", region="us-east-1")`` builds an :class:`~cloudcore_aws.provider.AWSProvider`.
Importing this package imports no SDK; boto3 is loaded when the first client is needed.
"""

__all__: list[str] = []
