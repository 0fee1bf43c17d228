SET myapp.tenant = 'acme'
