
è
root.layer-0"_tf_keras_layer*¾{"class_name": "Lambda", "name": "lambda", "config": {"name": "lambda", "trainable": true, "dtype": "float32", "function": ["4wEAAAAAAAAAAAAAAAEAAAAFAAAAQwAAAHMMAAAAdAB8AIMBZAEUAFMAKQJO6QIAAAApAdoDYWJzKQHaAXipAHICAAAA+h88aXB5dGhvbi1pbnB1dC0xLTQ0NWQ4ZjU1ZTUwNT7aCDxsYW1iZGE+AQAAAPMAAAAA", null, null], "function_type": "lambda", "module": "__main__", "output_shape": null, "output_shape_type": "raw", "output_shape_module": null, "arguments": {}}}
’
root.layer-1"_tf_keras_layer*i{"class_name": "Dense", "name": "dense", "config": {"name": "dense", "units": 1, "activation": "linear"}}