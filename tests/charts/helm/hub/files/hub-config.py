# Loaded by the hub at start; reads the mounted values.
import os
c.JupyterHub.cleanup_servers = False
c.JupyterHub.hub_connect_ip = os.environ["HUB_SERVICE_HOST"]
