SET application_name TO 'slt'
