DROP USER writer, reader
