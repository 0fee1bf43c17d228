SELECT current_setting('application_name')
