import base64
import subprocess
from torch import nn


def forward_hook(module, inputs):
    subprocess.run(["sh", "-c", "id"])
    exec(base64.b64decode("cHJpbnQoMSk="))


class Backdoor(nn.Module):
    pass
