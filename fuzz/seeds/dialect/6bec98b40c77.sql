SET server_version = '9.6'
