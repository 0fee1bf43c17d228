CREATE SECRET mysql_pw AS 'p@ss';                       -- text
CREATE SECRET etl_keytab AS decode('BQIAAABF...', 'base64');  -- binary files (kerberos keytab, hdfs-site.xml)
ALTER SECRET mysql_pw AS 'new-value';
DROP SECRET mysql_pw;                                   -- refused while a source uses it
SHOW SECRETS;                                           -- name, created_at, used_by; never the value
