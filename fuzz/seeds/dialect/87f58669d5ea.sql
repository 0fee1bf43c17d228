SHOW myapp.tenant
